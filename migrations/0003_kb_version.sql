-- Counts committed changes to the articles. The app keeps the chunk embeddings in memory; a
-- search compares this number with the one its copy was loaded at, so that articles written by
-- another process (the CLI importing while the app is open) are seen by the app's next search.
-- Triggers on documents rather than code, so that every writer counts; an article's chunks are
-- only ever written together with its documents row.
CREATE TABLE kb_version (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO kb_version (id, value) VALUES (1, 0);

CREATE TRIGGER documents_version_insert AFTER INSERT ON documents BEGIN
    UPDATE kb_version SET value = value + 1;
END;
CREATE TRIGGER documents_version_update AFTER UPDATE ON documents BEGIN
    UPDATE kb_version SET value = value + 1;
END;
CREATE TRIGGER documents_version_delete AFTER DELETE ON documents BEGIN
    UPDATE kb_version SET value = value + 1;
END;
