CREATE TABLE "metric_samples" (
	"service_id" uuid NOT NULL,
	"tier" smallint NOT NULL,
	"bucket_start" timestamp (3) with time zone NOT NULL,
	"seconds" real NOT NULL,
	"cpu" real NOT NULL,
	"cpu_max" real NOT NULL,
	"rss" double precision NOT NULL,
	"rss_max" double precision NOT NULL,
	"instances" real NOT NULL,
	"restarts" integer NOT NULL,
	"requests" integer NOT NULL,
	"status_4xx" integer NOT NULL,
	"status_5xx" integer NOT NULL,
	"latency" integer[] NOT NULL,
	"latency_max_ms" real NOT NULL,
	"per_instance" jsonb,
	CONSTRAINT "metric_samples_pk" PRIMARY KEY("service_id","tier","bucket_start")
);
--> statement-breakpoint
ALTER TABLE "metric_samples" ADD CONSTRAINT "metric_samples_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "metric_samples_prune_idx" ON "metric_samples" USING btree ("tier","bucket_start");