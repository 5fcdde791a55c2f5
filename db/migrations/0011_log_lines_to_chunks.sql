-- The lines stored one per row move into log_chunks with the same ids, one chunk per line: a plain
-- streaming copy (no sort, however many lines are kept), and those chunks age out with retention.
-- Line ids continue where log_lines' own sequence stopped, so a live tail's position (an id) stays valid.
INSERT INTO "log_chunks" ("first_id", "last_id", "service_id", "deployment_id", "min_at", "max_at", "instance_ids", "streams", "ats", "lines", "bytes")
  SELECT "id", "id", "service_id", "deployment_id", "created_at", "created_at", ARRAY["instance_id"], ARRAY["stream"], ARRAY["created_at"], ARRAY["line"], "bytes"
  FROM "log_lines";
--> statement-breakpoint
SELECT setval('log_line_ids', "last_value", "is_called") FROM "log_lines_id_seq";
