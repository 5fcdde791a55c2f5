CREATE TABLE "service_uids" (
	"uid" integer PRIMARY KEY NOT NULL,
	"service_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "service_uids_service_uq" UNIQUE("service_id")
);
--> statement-breakpoint
ALTER TABLE "service_uids" ADD CONSTRAINT "service_uids_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE set null ON UPDATE no action;