-- The fleet page shows each device's sync schema version and what it last measured of its link (its last
-- push round trip, its last reconnect to converged) and lets an administrator require an app update of one
-- device; device reports add the same two times, for the charts. Existing rows keep their values; the new
-- ones start empty.
ALTER TABLE "device_reports" ADD COLUMN "push_ms" integer;--> statement-breakpoint
ALTER TABLE "device_reports" ADD COLUMN "converged_ms" bigint;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "last_push_ms" integer;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "last_converged_ms" bigint;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "schema_version" integer;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "required_app_version" text;