-- Knowledge base: one row per article (a file, or a row of a CSV/JSON file).
CREATE TABLE documents (
    id           INTEGER PRIMARY KEY,
    -- Path relative to the imported folder; `file.csv#3` for the third article of a table.
    path         TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    format       TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    source_root  TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE chunks (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ord         INTEGER NOT NULL,
    heading     TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL,
    -- The model's L2-normalised embedding, little-endian f32.
    embedding   BLOB NOT NULL,
    model       TEXT NOT NULL
);
CREATE INDEX chunks_document ON chunks(document_id);

-- BM25 over chunk text, heading and the document title, kept in step by triggers.
CREATE VIRTUAL TABLE chunks_fts USING fts5(
    title, heading, text,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, title, heading, text)
    VALUES (new.id, (SELECT title FROM documents WHERE id = new.document_id), new.heading, new.text);
END;
CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
    DELETE FROM chunks_fts WHERE rowid = old.id;
END;

-- Custom intents defined by example phrases.
CREATE TABLE intents (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    -- 0..1: how much this intent raises a message's triage priority.
    urgency     REAL NOT NULL DEFAULT 0.3,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE intent_examples (
    id        INTEGER PRIMARY KEY,
    intent_id INTEGER NOT NULL REFERENCES intents(id) ON DELETE CASCADE,
    text      TEXT NOT NULL,
    embedding BLOB NOT NULL,
    model     TEXT NOT NULL
);
CREATE INDEX intent_examples_intent ON intent_examples(intent_id);

-- Chat history.
CREATE TABLE conversations (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content         TEXT NOT NULL,
    -- JSON: the analysis of a user message, the cited sources of an answer.
    analysis        TEXT,
    sources         TEXT,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX messages_conversation ON messages(conversation_id, id);

-- Support triage inbox.
CREATE TABLE inbox (
    id               INTEGER PRIMARY KEY,
    external_id      TEXT,
    sender           TEXT NOT NULL DEFAULT '',
    subject          TEXT NOT NULL DEFAULT '',
    text             TEXT NOT NULL,
    received_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    intent           TEXT NOT NULL,
    intent_score     REAL NOT NULL,
    custom_intent    TEXT,
    sentiment        TEXT NOT NULL,
    sentiment_score  REAL NOT NULL,
    priority         REAL NOT NULL,
    -- JSON: the terms the priority was computed from.
    priority_reason  TEXT NOT NULL,
    -- JSON: the top suggested articles.
    suggestions      TEXT NOT NULL,
    handled          INTEGER NOT NULL DEFAULT 0,
    source           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX inbox_queue ON inbox(handled, priority DESC);
