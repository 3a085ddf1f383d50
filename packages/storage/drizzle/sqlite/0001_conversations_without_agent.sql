PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_archival_records` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`phone_number_id` text NOT NULL,
	`previous_agent_id` text,
	`new_agent_id` text NOT NULL,
	`conversations_archived` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`phone_number_id`) REFERENCES `phone_numbers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`previous_agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`new_agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_archival_records`("id", "org_id", "phone_number_id", "previous_agent_id", "new_agent_id", "conversations_archived", "created_at") SELECT "id", "org_id", "phone_number_id", "previous_agent_id", "new_agent_id", "conversations_archived", "created_at" FROM `archival_records`;--> statement-breakpoint
DROP TABLE `archival_records`;--> statement-breakpoint
ALTER TABLE `__new_archival_records` RENAME TO `archival_records`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `archival_records_phone_idx` ON `archival_records` (`phone_number_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `__new_conversations` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`phone_number_id` text NOT NULL,
	`agent_id` text,
	`customer_id` text NOT NULL,
	`status` text NOT NULL,
	`archived_at` integer,
	`archive_reason` text,
	`message_count` integer NOT NULL,
	`last_message_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`activity_at` integer GENERATED ALWAYS AS (coalesce(last_message_at, created_at)) VIRTUAL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`phone_number_id`) REFERENCES `phone_numbers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_conversations`("id", "org_id", "phone_number_id", "agent_id", "customer_id", "status", "archived_at", "archive_reason", "message_count", "last_message_at", "created_at", "updated_at") SELECT "id", "org_id", "phone_number_id", "agent_id", "customer_id", "status", "archived_at", "archive_reason", "message_count", "last_message_at", "created_at", "updated_at" FROM `conversations`;--> statement-breakpoint
DROP TABLE `conversations`;--> statement-breakpoint
ALTER TABLE `__new_conversations` RENAME TO `conversations`;--> statement-breakpoint
CREATE UNIQUE INDEX `conversations_active_customer_uq` ON `conversations` (`phone_number_id`,`customer_id`) WHERE "conversations"."status" = 'active';--> statement-breakpoint
CREATE INDEX `conversations_org_list_idx` ON `conversations` (`org_id`,"activity_at" DESC,"id" DESC);--> statement-breakpoint
CREATE INDEX `conversations_phone_idx` ON `conversations` (`phone_number_id`);--> statement-breakpoint
CREATE INDEX `conversations_agent_idx` ON `conversations` (`agent_id`);