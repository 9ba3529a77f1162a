CREATE TABLE "attachments" (
	"organisation_id" text NOT NULL,
	"sha256" text NOT NULL,
	"size" bigint NOT NULL,
	"mime_type" text NOT NULL,
	"uploader_device_id" text NOT NULL,
	"created_at" bigint NOT NULL,
	"stored_at" bigint,
	CONSTRAINT "attachments_organisation_id_sha256_pk" PRIMARY KEY("organisation_id","sha256")
);
--> statement-breakpoint
CREATE TABLE "review_decisions" (
	"review_item_id" bigint PRIMARY KEY NOT NULL,
	"choice" text NOT NULL,
	"value" jsonb,
	"reason" text NOT NULL,
	"user_id" text NOT NULL,
	"write_id" bigint NOT NULL,
	"decided_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "attachments" ADD CONSTRAINT "attachments_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "attachments" ADD CONSTRAINT "attachments_uploader_device_id_devices_id_fk" FOREIGN KEY ("uploader_device_id") REFERENCES "devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "review_decisions" ADD CONSTRAINT "review_decisions_review_item_id_review_items_id_fk" FOREIGN KEY ("review_item_id") REFERENCES "review_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "review_decisions" ADD CONSTRAINT "review_decisions_user_id_office_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "office_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- A reviewer's decision is evidence like the write history: never edited or removed afterwards.
CREATE TRIGGER review_decisions_append_only BEFORE UPDATE OR DELETE ON review_decisions FOR EACH ROW EXECUTE FUNCTION refuse_change();
