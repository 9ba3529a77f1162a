CREATE TABLE "changes" (
	"id" bigint NOT NULL,
	"site_id" text NOT NULL,
	"kind" text NOT NULL,
	"record_type" text,
	"record_id" text,
	"version" integer,
	"operator_id" text,
	CONSTRAINT "changes_site_id_id_pk" PRIMARY KEY("site_id","id")
);
--> statement-breakpoint
CREATE TABLE "counters" (
	"name" text PRIMARY KEY NOT NULL,
	"value" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "device_flags" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"device_id" text NOT NULL,
	"kind" text NOT NULL,
	"seq" integer,
	"detail" jsonb NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "devices" (
	"id" text PRIMARY KEY NOT NULL,
	"site_id" text NOT NULL,
	"kind" text NOT NULL,
	"label" text,
	"public_key" text NOT NULL,
	"credential_hash" text NOT NULL,
	"enrolled_at" bigint NOT NULL,
	"revoked_at" bigint,
	"flagged" boolean DEFAULT false NOT NULL,
	"chain_seq" integer DEFAULT 0 NOT NULL,
	"chain_head" text NOT NULL,
	"chain_session" jsonb,
	"last_seen_at" bigint
);
--> statement-breakpoint
CREATE TABLE "enrollment_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"site_id" text NOT NULL,
	"kind" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"used_at" bigint,
	"used_by_device" text
);
--> statement-breakpoint
CREATE TABLE "journal_entries" (
	"device_id" text NOT NULL,
	"seq" integer NOT NULL,
	"kind" text NOT NULL,
	"hash" text NOT NULL,
	"prev_hash" text NOT NULL,
	"signature" text NOT NULL,
	"body" text NOT NULL,
	"session_id" text NOT NULL,
	"operator_id" text NOT NULL,
	"record_type" text,
	"record_id" text,
	"device_time" bigint NOT NULL,
	"received_at" bigint NOT NULL,
	"gap_ms" bigint NOT NULL,
	"clock_offset_ms" bigint NOT NULL,
	"effective_time" bigint NOT NULL,
	"skew_flagged" boolean NOT NULL,
	"result" jsonb NOT NULL,
	CONSTRAINT "journal_entries_device_id_seq_pk" PRIMARY KEY("device_id","seq")
);
--> statement-breakpoint
CREATE TABLE "office_users" (
	"id" text PRIMARY KEY NOT NULL,
	"organisation_id" text,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" bigint NOT NULL,
	"revoked_at" bigint
);
--> statement-breakpoint
CREATE TABLE "operators" (
	"id" text PRIMARY KEY NOT NULL,
	"site_id" text NOT NULL,
	"badge_id" text NOT NULL,
	"display_name" text NOT NULL,
	"role" text NOT NULL,
	"pin_verifier" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "organisations" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "record_versions" (
	"type" text NOT NULL,
	"id" text NOT NULL,
	"version" integer NOT NULL,
	"fields" jsonb NOT NULL,
	"deleted" boolean NOT NULL,
	"pending_review" boolean NOT NULL,
	"write_id" bigint NOT NULL,
	"created_at" bigint NOT NULL,
	CONSTRAINT "record_versions_type_id_version_pk" PRIMARY KEY("type","id","version")
);
--> statement-breakpoint
CREATE TABLE "record_writes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"record_type" text NOT NULL,
	"record_id" text NOT NULL,
	"origin" text NOT NULL,
	"action" text NOT NULL,
	"operator_id" text,
	"user_id" text,
	"device_id" text,
	"seq" integer,
	"device_time" bigint,
	"received_at" bigint NOT NULL,
	"gap_ms" bigint,
	"effective_time" bigint NOT NULL,
	"skew_flagged" boolean NOT NULL,
	"outcome" text NOT NULL,
	"reason" text,
	"message" text,
	"decisions" jsonb NOT NULL,
	"version_after" integer
);
--> statement-breakpoint
CREATE TABLE "records" (
	"type" text NOT NULL,
	"id" text NOT NULL,
	"site_id" text NOT NULL,
	"audience" text[] NOT NULL,
	"version" integer NOT NULL,
	"fields" jsonb NOT NULL,
	"field_states" jsonb NOT NULL,
	"tombstone" jsonb,
	"deleted" boolean NOT NULL,
	"pending_review" boolean NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "records_type_id_pk" PRIMARY KEY("type","id")
);
--> statement-breakpoint
CREATE TABLE "review_items" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"record_type" text NOT NULL,
	"record_id" text NOT NULL,
	"field" text NOT NULL,
	"key" text,
	"write_id" bigint NOT NULL,
	"current_value" jsonb,
	"proposed_value" jsonb,
	"reason" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sites" (
	"id" text PRIMARY KEY NOT NULL,
	"organisation_id" text NOT NULL,
	"name" text NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "device_flags" ADD CONSTRAINT "device_flags_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollment_tokens" ADD CONSTRAINT "enrollment_tokens_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "journal_entries" ADD CONSTRAINT "journal_entries_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "office_users" ADD CONSTRAINT "office_users_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "operators" ADD CONSTRAINT "operators_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sites" ADD CONSTRAINT "sites_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "device_flags_device_idx" ON "device_flags" USING btree ("device_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "devices_credential_idx" ON "devices" USING btree ("credential_hash");--> statement-breakpoint
CREATE INDEX "devices_site_idx" ON "devices" USING btree ("site_id");--> statement-breakpoint
CREATE INDEX "journal_entries_record_idx" ON "journal_entries" USING btree ("record_type","record_id");--> statement-breakpoint
CREATE UNIQUE INDEX "office_users_token_idx" ON "office_users" USING btree ("token_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "operators_site_badge_idx" ON "operators" USING btree ("site_id","badge_id");--> statement-breakpoint
CREATE INDEX "record_writes_record_idx" ON "record_writes" USING btree ("record_type","record_id","id");--> statement-breakpoint
CREATE INDEX "review_items_open_idx" ON "review_items" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "review_items_record_idx" ON "review_items" USING btree ("record_type","record_id");