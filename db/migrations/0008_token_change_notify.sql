-- A token revoked, deleted (directly, or by a cascade from its user or organization) or stamped as
-- used is announced on a channel. On PGlite, where one process owns the database, the console listens and drops the
-- token from its identity cache before the revoking request is answered, so it need not re-read the
-- token's row on every request (server/tokens/token-change-feed.ts).
CREATE OR REPLACE FUNCTION slipway_notify_token_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('slipway_token_changed', OLD.id::text);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER api_tokens_notify_changed AFTER UPDATE OF revoked_at, last_used_at OR DELETE ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION slipway_notify_token_changed();
