CREATE SEQUENCE "public"."log_line_ids" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "log_chunks" (
	"first_id" bigint PRIMARY KEY NOT NULL,
	"last_id" bigint NOT NULL,
	"service_id" uuid NOT NULL,
	"deployment_id" uuid,
	"min_at" timestamp with time zone NOT NULL,
	"max_at" timestamp with time zone NOT NULL,
	"instance_ids" text[] NOT NULL,
	"streams" text[] NOT NULL,
	"ats" timestamp with time zone[] NOT NULL,
	"lines" text[] NOT NULL,
	"bytes" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "log_chunks_service_idx" ON "log_chunks" USING btree ("service_id","first_id");--> statement-breakpoint
CREATE INDEX "log_chunks_deployment_idx" ON "log_chunks" USING btree ("deployment_id","first_id");--> statement-breakpoint
CREATE INDEX "log_chunks_service_time_idx" ON "log_chunks" USING btree ("service_id","min_at");