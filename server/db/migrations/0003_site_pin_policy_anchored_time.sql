ALTER TABLE "devices" ADD COLUMN "anchored_time" bigint;--> statement-breakpoint
ALTER TABLE "sites" ADD COLUMN "pin_min_length" integer DEFAULT 4 NOT NULL;