-- How many passages hold each indexed word: search leaves out of its BM25 query the words so
-- common in a large knowledge base that scoring their posting lists costs milliseconds and
-- their low IDF barely moves the ranking (see src/kb/search.rs).
CREATE VIRTUAL TABLE chunks_fts_vocabulary USING fts5vocab(chunks_fts, 'row');
