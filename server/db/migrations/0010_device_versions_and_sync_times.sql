-- The fleet page shows each device's sync schema version and lets an administrator require an app
-- update of one device; device reports add what the device measured: its push round trip and the
-- time from a reconnect to converged. Existing rows keep their values; the new ones start empty.
ALTER TABLE "device_reports" ADD COLUMN "push_ms" integer;--> statement-breakpoint
ALTER TABLE "device_reports" ADD COLUMN "converged_ms" bigint;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "schema_version" integer;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "required_app_version" text;