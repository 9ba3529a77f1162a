CREATE TABLE "console_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"secret_hash" text NOT NULL,
	"user_id" text NOT NULL,
	"created_at" bigint NOT NULL,
	"last_seen_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"revoked_at" bigint,
	"revoked_reason" text,
	"address" text NOT NULL,
	"user_agent" text
);
--> statement-breakpoint
CREATE TABLE "console_sign_in_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" bigint NOT NULL,
	"login" text NOT NULL,
	"user_id" text,
	"address" text NOT NULL,
	"outcome" text NOT NULL,
	"failed_attempts" integer NOT NULL,
	"paused_for_ms" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "console_sign_in_throttles" (
	"key" text PRIMARY KEY NOT NULL,
	"failed_attempts" integer NOT NULL,
	"last_failed_at" bigint NOT NULL,
	"paused_until" bigint
);
--> statement-breakpoint
ALTER TABLE "office_users" ADD COLUMN "email" text;--> statement-breakpoint
ALTER TABLE "office_users" ADD COLUMN "password_hash" text;--> statement-breakpoint
ALTER TABLE "console_sessions" ADD CONSTRAINT "console_sessions_user_id_office_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "office_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "console_sign_in_attempts" ADD CONSTRAINT "console_sign_in_attempts_user_id_office_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "office_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "console_sessions_secret_idx" ON "console_sessions" USING btree ("secret_hash");--> statement-breakpoint
CREATE INDEX "console_sessions_user_idx" ON "console_sessions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "console_sign_in_attempts_user_idx" ON "console_sign_in_attempts" USING btree ("user_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "office_users_email_idx" ON "office_users" USING btree ("email");--> statement-breakpoint
ALTER TABLE "office_users" ADD CONSTRAINT "office_users_role_check" CHECK (role IN ('dispatcher', 'reviewer', 'auditor', 'maintenance', 'admin'));--> statement-breakpoint
-- What the office answered each sign-in is evidence for admins: never edited or removed (0001's refuse_change).
CREATE TRIGGER console_sign_in_attempts_append_only BEFORE UPDATE OR DELETE ON console_sign_in_attempts FOR EACH ROW EXECUTE FUNCTION refuse_change();
