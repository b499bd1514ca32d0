-- baokan schema: pages, articles, ingest errors and the article change log.
-- PostgreSQL is the source of truth; the search index is derived from it by
-- following article_changes.

CREATE TABLE pages (
    id            BIGSERIAL PRIMARY KEY,
    -- Canonical path of the page file; the identity of a page.
    source_path   TEXT        NOT NULL UNIQUE,
    -- SHA-256 of the file's bytes, hex.
    content_hash  TEXT        NOT NULL,
    paper         TEXT,
    issue_date    DATE,
    -- Month and day inferred from datelines when the year is unknown (MM-DD).
    issue_month_day TEXT,
    page_number   INTEGER,
    -- Encoding the file was decoded from (e.g. UTF-8, GB18030).
    encoding      TEXT        NOT NULL,
    -- The decoded page text, verbatim.
    raw_text      TEXT        NOT NULL,
    ingested_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE articles (
    id          BIGSERIAL PRIMARY KEY,
    page_id     BIGINT  NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    -- Position on the page in reading order, 0-based.
    ordinal     INTEGER NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('article', 'photo')),
    kicker      TEXT,
    title       TEXT,
    subtitle    TEXT,
    authors     TEXT[]  NOT NULL DEFAULT '{}',
    source      TEXT,
    dateline    TEXT,
    paragraphs  TEXT[]  NOT NULL DEFAULT '{}',
    jumps       TEXT[]  NOT NULL DEFAULT '{}',
    -- Extra structure the parser found (column label, sections, captions...).
    extra       JSONB   NOT NULL DEFAULT '{}',
    UNIQUE (page_id, ordinal)
);

CREATE TABLE ingest_errors (
    id           BIGSERIAL PRIMARY KEY,
    source_path  TEXT        NOT NULL,
    reason       TEXT        NOT NULL,
    occurred_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ingest_errors_source_path ON ingest_errors (source_path);

-- One row per article change. `sequence` orders changes for status reports;
-- `xid` is the writing transaction's id: the follower only consumes rows whose
-- transaction is older than the oldest still-running transaction
-- (pg_snapshot_xmin), so a change that commits late is never skipped.
CREATE TABLE article_changes (
    sequence    BIGSERIAL PRIMARY KEY,
    article_id  BIGINT      NOT NULL,
    op          TEXT        NOT NULL CHECK (op IN ('upsert', 'delete')),
    xid         BIGINT      NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    changed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX article_changes_xid ON article_changes (xid, sequence);

CREATE FUNCTION baokan_article_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO article_changes (article_id, op) VALUES (OLD.id, 'delete');
    ELSE
        INSERT INTO article_changes (article_id, op) VALUES (NEW.id, 'upsert');
    END IF;
    -- Identical notifications within one transaction are folded into one.
    PERFORM pg_notify('baokan_article_changes', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER articles_changed_insert_delete
    AFTER INSERT OR DELETE ON articles
    FOR EACH ROW EXECUTE FUNCTION baokan_article_changed();

CREATE TRIGGER articles_changed_update
    AFTER UPDATE ON articles
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION baokan_article_changed();

-- Page metadata is part of every search document: a change re-indexes the page's articles.
CREATE FUNCTION baokan_page_metadata_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO article_changes (article_id, op)
        SELECT id, 'upsert' FROM articles WHERE page_id = NEW.id;
    PERFORM pg_notify('baokan_article_changes', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER pages_metadata_changed
    AFTER UPDATE ON pages
    FOR EACH ROW
    WHEN ((OLD.paper, OLD.issue_date, OLD.issue_month_day, OLD.page_number, OLD.source_path)
          IS DISTINCT FROM (NEW.paper, NEW.issue_date, NEW.issue_month_day, NEW.page_number, NEW.source_path))
    EXECUTE FUNCTION baokan_page_metadata_changed();

-- Identity of this database: an index built from another database (or a
-- dropped and re-created one) is detected and rebuilt.
CREATE TABLE instance (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    id        TEXT NOT NULL DEFAULT md5(random()::text || clock_timestamp()::text)
);
INSERT INTO instance DEFAULT VALUES;
