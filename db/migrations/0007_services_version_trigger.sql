-- environments.services_version changes in the same transaction as any change to that environment's
-- services, whichever code path (or cascade) made it: a console may then reuse a services list it
-- built at the same version (server/services/list-services.ts).
CREATE OR REPLACE FUNCTION slipway_bump_services_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    UPDATE environments SET services_version = services_version + 1 WHERE id = OLD.environment_id;
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.environment_id IS DISTINCT FROM OLD.environment_id) THEN
    UPDATE environments SET services_version = services_version + 1 WHERE id = NEW.environment_id;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER services_bump_services_version AFTER INSERT OR UPDATE OR DELETE ON services
  FOR EACH ROW EXECUTE FUNCTION slipway_bump_services_version();
