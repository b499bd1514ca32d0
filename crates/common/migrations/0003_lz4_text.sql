-- Page text and article paragraphs are the large values of every page
-- written. Where the server supports lz4 (PostgreSQL 14+ built with it, as
-- Debian's and the official images are), they are compressed with lz4,
-- which costs a fraction of the default pglz's CPU per write. Existing
-- values keep their compression; only the way new values are stored changes.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE pages ALTER COLUMN raw_text SET COMPRESSION lz4;
        ALTER TABLE articles ALTER COLUMN paragraphs SET COMPRESSION lz4;
    END IF;
END
$$;
