CREATE TABLE `attachments` (
	`sha256` text PRIMARY KEY NOT NULL,
	`size` integer NOT NULL,
	`mime_type` text NOT NULL,
	`state` text NOT NULL,
	`uploaded_bytes` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`acknowledged_at` integer
);
--> statement-breakpoint
CREATE TABLE `checkpoints` (
	`to_seq` integer PRIMARY KEY NOT NULL,
	`from_seq` integer NOT NULL,
	`head` text NOT NULL,
	`signed` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `conflict_inbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`seq` integer,
	`record_type` text NOT NULL,
	`record_id` text NOT NULL,
	`outcome` text NOT NULL,
	`what_happened` text NOT NULL,
	`local_value` text,
	`server_kept` text,
	`created_at` integer NOT NULL,
	`seen_at` integer
);
--> statement-breakpoint
CREATE TABLE `device` (
	`singleton` integer PRIMARY KEY DEFAULT 1 NOT NULL,
	`device_id` text NOT NULL,
	`public_key` text NOT NULL,
	`created_at` integer NOT NULL,
	`compacting` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `journal` (
	`seq` integer PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`session_id` text NOT NULL,
	`operator_id` text NOT NULL,
	`record_type` text,
	`record_id` text,
	`device_time` integer NOT NULL,
	`hlc` text NOT NULL,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL,
	`signature` text NOT NULL,
	`body` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `journal_record_idx` ON `journal` (`record_type`,`record_id`);--> statement-breakpoint
CREATE TABLE `operators` (
	`operator_id` text PRIMARY KEY NOT NULL,
	`badge_id` text NOT NULL,
	`display_name` text NOT NULL,
	`role` text NOT NULL,
	`pin_verifier` text NOT NULL,
	`failed_attempts` integer DEFAULT 0 NOT NULL,
	`locked_until` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `operators_badge_idx` ON `operators` (`badge_id`);--> statement-breakpoint
CREATE TABLE `outbox` (
	`seq` integer PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`result` text,
	`acknowledged_at` integer
);
--> statement-breakpoint
CREATE INDEX `outbox_state_idx` ON `outbox` (`state`,`seq`);--> statement-breakpoint
CREATE TABLE `rec_billing_line` (
	`id` text PRIMARY KEY NOT NULL,
	`deleted` integer DEFAULT false NOT NULL,
	`server_version` integer,
	`last_seq` integer NOT NULL,
	`sync_state` text NOT NULL,
	`pending_review` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	`work_order_id` text,
	`description` text,
	`quantity` real,
	`unit_price_cents` real,
	`parts_used` text
);
--> statement-breakpoint
CREATE INDEX `rec_billing_line_sync_idx` ON `rec_billing_line` (`sync_state`);--> statement-breakpoint
CREATE TABLE `rec_equipment_interchange` (
	`id` text PRIMARY KEY NOT NULL,
	`deleted` integer DEFAULT false NOT NULL,
	`server_version` integer,
	`last_seq` integer NOT NULL,
	`sync_state` text NOT NULL,
	`pending_review` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	`equipment_type` text,
	`equipment_number` text,
	`from_carrier` text,
	`to_carrier` text,
	`condition` text,
	`condition_note` text,
	`damages` text NOT NULL,
	`photos` text NOT NULL,
	`from_signature` text,
	`to_signature` text,
	`interchanged_at` real,
	`status` text,
	`corrects_id` text
);
--> statement-breakpoint
CREATE INDEX `rec_equipment_interchange_sync_idx` ON `rec_equipment_interchange` (`sync_state`);--> statement-breakpoint
CREATE TABLE `rec_gate_event` (
	`id` text PRIMARY KEY NOT NULL,
	`deleted` integer DEFAULT false NOT NULL,
	`server_version` integer,
	`last_seq` integer NOT NULL,
	`sync_state` text NOT NULL,
	`pending_review` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	`site_id` text,
	`direction` text,
	`truck_plate` text,
	`carrier` text,
	`driver_name` text,
	`container_number` text,
	`chassis_number` text,
	`seal_numbers` text NOT NULL,
	`photos` text NOT NULL,
	`recorded_at` real,
	`status` text,
	`corrects_id` text
);
--> statement-breakpoint
CREATE INDEX `rec_gate_event_sync_idx` ON `rec_gate_event` (`sync_state`);--> statement-breakpoint
CREATE TABLE `rec_inspection` (
	`id` text PRIMARY KEY NOT NULL,
	`deleted` integer DEFAULT false NOT NULL,
	`server_version` integer,
	`last_seq` integer NOT NULL,
	`sync_state` text NOT NULL,
	`pending_review` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	`work_order_id` text,
	`template_id` text,
	`equipment_number` text,
	`odometer` real,
	`items` text NOT NULL,
	`defects` text NOT NULL,
	`photos` text NOT NULL,
	`signature` text,
	`remarks` text,
	`status` text,
	`submitted_at` real,
	`corrects_id` text
);
--> statement-breakpoint
CREATE INDEX `rec_inspection_sync_idx` ON `rec_inspection` (`sync_state`);--> statement-breakpoint
CREATE TABLE `rec_note` (
	`id` text PRIMARY KEY NOT NULL,
	`deleted` integer DEFAULT false NOT NULL,
	`server_version` integer,
	`last_seq` integer NOT NULL,
	`sync_state` text NOT NULL,
	`pending_review` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	`subject_type` text,
	`subject_id` text,
	`body` text
);
--> statement-breakpoint
CREATE INDEX `rec_note_sync_idx` ON `rec_note` (`sync_state`);--> statement-breakpoint
CREATE TABLE `rec_work_order` (
	`id` text PRIMARY KEY NOT NULL,
	`deleted` integer DEFAULT false NOT NULL,
	`server_version` integer,
	`last_seq` integer NOT NULL,
	`sync_state` text NOT NULL,
	`pending_review` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	`site_id` text,
	`title` text,
	`description` text,
	`equipment_number` text,
	`assignee` text,
	`due_date` real,
	`priority` text,
	`status` text,
	`status_note` text,
	`location` text,
	`completion_note` text,
	`completed_at` real
);
--> statement-breakpoint
CREATE INDEX `rec_work_order_sync_idx` ON `rec_work_order` (`sync_state`);--> statement-breakpoint
CREATE TABLE `rec_yard_count` (
	`id` text PRIMARY KEY NOT NULL,
	`deleted` integer DEFAULT false NOT NULL,
	`server_version` integer,
	`last_seq` integer NOT NULL,
	`sync_state` text NOT NULL,
	`pending_review` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	`site_id` text,
	`location` text,
	`item_code` text,
	`tally` integer DEFAULT 0 NOT NULL,
	`on_hand` real
);
--> statement-breakpoint
CREATE INDEX `rec_yard_count_sync_idx` ON `rec_yard_count` (`sync_state`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`session_id` text PRIMARY KEY NOT NULL,
	`operator_id` text NOT NULL,
	`public_key` text NOT NULL,
	`certificate` text NOT NULL,
	`open_seq` integer NOT NULL,
	`opened_at` integer NOT NULL,
	`close_seq` integer,
	`closed_at` integer,
	`close_reason` text
);
--> statement-breakpoint
CREATE TABLE `sync_state` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
