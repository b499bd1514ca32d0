-- Wire copy look-ups in a narrow table of their own.
--
-- Grouping a new article reads the SimHash of every article that shares one
-- of its four 16-bit bands: about 4 x archive / 65,536 rows per article (61
-- at a million articles), each one a random visit to the wide articles heap
-- (a gigabyte at a million articles, mostly outside shared buffers). At a
-- million articles these visits took about 1.3 ms of PostgreSQL's time per
-- page, more than the rest of the page's writes, and they grow with the
-- archive. The same look-up in this table, about 40 bytes a row, reads a
-- few dozen megabytes that stay cached: 0.4 ms per page.
--
-- `articles.simhash` stays the source of truth; the ingest writes both in
-- the page's transaction, and a deleted article's row goes by cascade.
CREATE TABLE article_fingerprints (
    article_id BIGINT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    simhash    BIGINT NOT NULL
);

INSERT INTO article_fingerprints (article_id, simhash)
SELECT id, simhash FROM articles WHERE simhash IS NOT NULL ORDER BY id;

-- Four 16-bit bands: two texts within Hamming distance 3 share at least one
-- (and most within 6, the distance accepted as the same story).
CREATE INDEX article_fingerprints_band0 ON article_fingerprints (((simhash >> 48) & 65535));
CREATE INDEX article_fingerprints_band1 ON article_fingerprints (((simhash >> 32) & 65535));
CREATE INDEX article_fingerprints_band2 ON article_fingerprints (((simhash >> 16) & 65535));
CREATE INDEX article_fingerprints_band3 ON article_fingerprints ((simhash & 65535));

DROP INDEX articles_simhash_band0;
DROP INDEX articles_simhash_band1;
DROP INDEX articles_simhash_band2;
DROP INDEX articles_simhash_band3;
