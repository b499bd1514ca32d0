-- A page's articles as the ingest sends them: one array of this row type,
-- in PostgreSQL's binary format, which the page's insert unpacks with
-- unnest. Before, the ingest sent a JSON array that PostgreSQL parsed and
-- took apart field by field (about a seventh of its CPU per page). The fields are
-- the stored columns of `articles`, in the ingest's order; `extra` is the
-- JSON text of that column.
CREATE TYPE baokan_article_row AS (
    kind           TEXT,
    kicker         TEXT,
    title          TEXT,
    subtitle       TEXT,
    authors        TEXT[],
    source         TEXT,
    dateline       TEXT,
    paragraphs     TEXT[],
    jumps          TEXT[],
    extra          TEXT,
    dateline_city  TEXT,
    continues_to   INTEGER[],
    continued_from INTEGER[],
    persons        TEXT[],
    places         TEXT[],
    orgs           TEXT[],
    simhash        BIGINT
);
