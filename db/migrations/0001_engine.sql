CREATE TYPE "public"."deployment_kind" AS ENUM('deploy', 'rollback', 'start', 'restart');--> statement-breakpoint
CREATE TABLE "deployment_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"deployment_id" uuid NOT NULL,
	"service_id" uuid,
	"service_name" text,
	"stage" text NOT NULL,
	"step" text NOT NULL,
	"status" text NOT NULL,
	"message" text NOT NULL,
	"hint" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "log_lines" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"service_id" uuid NOT NULL,
	"deployment_id" uuid,
	"instance_id" text,
	"stream" text NOT NULL,
	"line" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "process_records" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"owner_id" text NOT NULL,
	"service_id" uuid,
	"instance_id" text NOT NULL,
	"pid" integer NOT NULL,
	"start_time" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "service_runtime" (
	"service_id" uuid PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'NOT_DEPLOYED' NOT NULL,
	"deployment_id" uuid,
	"build_id" text,
	"build_dir" text,
	"start_command" text,
	"revision" text,
	"instances" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"owner_id" text,
	"message" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "kind" "deployment_kind" DEFAULT 'deploy' NOT NULL;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "requested_by_label" text;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "request_key" text NOT NULL;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "rollback_of" uuid;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "builds" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "revision" text;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "hint" text;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "claimed_by" text;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "heartbeat_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "run_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "deployment_events" ADD CONSTRAINT "deployment_events_deployment_id_deployments_id_fk" FOREIGN KEY ("deployment_id") REFERENCES "public"."deployments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_runtime" ADD CONSTRAINT "service_runtime_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "deployment_events_deployment_idx" ON "deployment_events" USING btree ("deployment_id","id");--> statement-breakpoint
CREATE INDEX "log_lines_service_idx" ON "log_lines" USING btree ("service_id","id");--> statement-breakpoint
CREATE INDEX "log_lines_deployment_idx" ON "log_lines" USING btree ("deployment_id","id");--> statement-breakpoint
CREATE INDEX "process_records_open_idx" ON "process_records" USING btree ("ended_at");--> statement-breakpoint
CREATE INDEX "deployments_status_idx" ON "deployments" USING btree ("status");