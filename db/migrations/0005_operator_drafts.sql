CREATE TABLE `operator_drafts` (
	`operator_id` text NOT NULL,
	`form` text NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`operator_id`, `form`)
);
--> statement-breakpoint
ALTER TABLE `conflict_inbox` ADD `operator_id` text;--> statement-breakpoint
ALTER TABLE `conflict_inbox` ADD `field_outcomes` text;--> statement-breakpoint
-- Inbox items come from this device's own entries: each one's operator is that entry's, while the
-- entry is still held. Older items whose entry was compacted keep no operator and stay shown to all.
UPDATE `conflict_inbox` SET `operator_id` = (SELECT `operator_id` FROM `journal` WHERE `journal`.`seq` = `conflict_inbox`.`seq`) WHERE `operator_id` IS NULL;
