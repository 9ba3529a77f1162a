-- What a device tells of itself with each pull (its queue and build) and the clock correction the office
-- last proved for it, for the fleet page. Devices enrolled before have none until their next pull.
ALTER TABLE "devices" ADD COLUMN "health_reported_at" bigint;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "app_version" text;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "pending_entries" integer;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "failed_entries" integer;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "oldest_pending_age_ms" bigint;--> statement-breakpoint
ALTER TABLE "devices" ADD COLUMN "clock_offset_ms" bigint;