-- Any change to the rows an access check reads (memberships, projects, environments, services) is
-- announced on a channel. On PGlite, where one process owns the database, the console listens and
-- drops its cached access checks before the changing request is answered, so a check need not read
-- the database on every request (server/policy/access-cache.ts, db/pglite-change-feed.ts).
CREATE OR REPLACE FUNCTION slipway_notify_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('slipway_access_changed', TG_TABLE_NAME);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER memberships_notify_access_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON memberships
  FOR EACH STATEMENT EXECUTE FUNCTION slipway_notify_access_changed();
--> statement-breakpoint
CREATE TRIGGER projects_notify_access_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON projects
  FOR EACH STATEMENT EXECUTE FUNCTION slipway_notify_access_changed();
--> statement-breakpoint
CREATE TRIGGER environments_notify_access_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON environments
  FOR EACH STATEMENT EXECUTE FUNCTION slipway_notify_access_changed();
--> statement-breakpoint
CREATE TRIGGER services_notify_access_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON services
  FOR EACH STATEMENT EXECUTE FUNCTION slipway_notify_access_changed();
