-- store/list_tables: the base tables of the store, for checksums and health checks.
-- parameters: none
-- columns: table_name
SELECT table_name
FROM information_schema.tables
WHERE table_schema = 'main' AND table_type = 'BASE TABLE'
ORDER BY table_name;
