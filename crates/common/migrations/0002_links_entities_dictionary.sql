-- Editions, continuations, entities, wire copy and the learned dictionary.

-- Per-article facts derived at ingest.
ALTER TABLE articles
    -- City named by the dateline (本报太原4月8日讯 → 太原), when any.
    ADD COLUMN dateline_city  TEXT,
    -- Pages this article continues on (下转第2版) and continues from (上接第1版).
    ADD COLUMN continues_to   INTEGER[] NOT NULL DEFAULT '{}',
    ADD COLUMN continued_from INTEGER[] NOT NULL DEFAULT '{}',
    -- Names found in the article, deduplicated.
    ADD COLUMN persons        TEXT[]    NOT NULL DEFAULT '{}',
    ADD COLUMN places         TEXT[]    NOT NULL DEFAULT '{}',
    ADD COLUMN orgs           TEXT[]    NOT NULL DEFAULT '{}',
    -- 64-bit SimHash of the body's character shingles (NULL: body too short).
    ADD COLUMN simhash        BIGINT,
    -- Smallest article id of the group of near-identical texts (wire copy).
    ADD COLUMN wire_group     BIGINT;

-- Four 16-bit bands: two texts within Hamming distance 3 share at least one
-- (and most within 6, the distance accepted as the same story).
CREATE INDEX articles_simhash_band0 ON articles (((simhash >> 48) & 65535)) WHERE simhash IS NOT NULL;
CREATE INDEX articles_simhash_band1 ON articles (((simhash >> 32) & 65535)) WHERE simhash IS NOT NULL;
CREATE INDEX articles_simhash_band2 ON articles (((simhash >> 16) & 65535)) WHERE simhash IS NOT NULL;
CREATE INDEX articles_simhash_band3 ON articles ((simhash & 65535)) WHERE simhash IS NOT NULL;
CREATE INDEX articles_wire_group ON articles (wire_group) WHERE wire_group IS NOT NULL;
CREATE INDEX articles_persons ON articles USING GIN (persons);
CREATE INDEX articles_authors ON articles USING GIN (authors);
CREATE INDEX pages_edition ON pages (paper, issue_date, page_number);

-- A story continued on another page: `tail_id` continues `head_id`.
CREATE TABLE continuations (
    head_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    tail_id BIGINT NOT NULL UNIQUE REFERENCES articles(id) ON DELETE CASCADE,
    PRIMARY KEY (head_id, tail_id),
    CHECK (head_id <> tail_id)
);
CREATE INDEX continuations_tail ON continuations (tail_id);

-- A part's text is indexed with the first part of its story: a change to any
-- part re-indexes every part above it.
CREATE OR REPLACE FUNCTION baokan_article_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD.id;
        INSERT INTO article_changes (article_id, op) VALUES (OLD.id, 'delete');
    ELSE
        changed := NEW.id;
        INSERT INTO article_changes (article_id, op) VALUES (NEW.id, 'upsert');
    END IF;
    INSERT INTO article_changes (article_id, op)
        WITH RECURSIVE above(id) AS (
            SELECT head_id FROM continuations WHERE tail_id = changed
            UNION
            SELECT c.head_id FROM continuations c JOIN above ON c.tail_id = above.id
        )
        SELECT id, 'upsert' FROM above;
    PERFORM pg_notify('baokan_article_changes', '');
    RETURN NULL;
END;
$$;

-- Linking or unlinking two parts re-indexes both and every part above.
CREATE FUNCTION baokan_continuation_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    link continuations;
BEGIN
    IF TG_OP = 'DELETE' THEN link := OLD; ELSE link := NEW; END IF;
    INSERT INTO article_changes (article_id, op)
        WITH RECURSIVE above(id) AS (
            SELECT link.head_id
            UNION
            SELECT c.head_id FROM continuations c JOIN above ON c.tail_id = above.id
        )
        SELECT id, 'upsert' FROM above
        UNION SELECT link.tail_id, 'upsert';
    PERFORM pg_notify('baokan_article_changes', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER continuations_changed
    AFTER INSERT OR DELETE ON continuations
    FOR EACH ROW EXECUTE FUNCTION baokan_continuation_changed();

-- Words the analyzer learned (person names from bylines and entities), in
-- the order learned: `version` only grows, so the search service applies new
-- words since the last version it saw.
CREATE TABLE dictionary_words (
    word      TEXT        PRIMARY KEY,
    source    TEXT        NOT NULL,
    version   BIGSERIAL   NOT NULL UNIQUE,
    added_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
