CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`user_id` text,
	`handle` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`instructions` text,
	`instructions_html` text,
	`prompt_id` text,
	`phone_number_id` text,
	`model` text,
	`color` text NOT NULL,
	`avatar` text,
	`include_system_prompt` integer NOT NULL,
	`tools` text NOT NULL,
	`connectors` text NOT NULL,
	`sub_agents` text NOT NULL,
	`data_sources` text NOT NULL,
	`is_active` integer NOT NULL,
	`deactivated_reason` text,
	`deactivated_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`phone_number_id`) REFERENCES `phone_numbers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agents_active_phone_uq` ON `agents` (`phone_number_id`) WHERE "agents"."deleted_at" IS NULL AND "agents"."is_active" = 1 AND "agents"."phone_number_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `agents_org_handle_live_uq` ON `agents` (`org_id`,lower("handle")) WHERE "agents"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX `agents_org_list_idx` ON `agents` (`org_id`,"created_at" DESC,"id" DESC) WHERE "agents"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX `agents_phone_idx` ON `agents` (`phone_number_id`);--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`user_id` text,
	`name` text NOT NULL,
	`scopes` text NOT NULL,
	`token_hash` text NOT NULL,
	`last_used_at` integer,
	`expires_at` integer,
	`revoked_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_token_hash_uq` ON `api_keys` (`token_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_org_list_idx` ON `api_keys` (`org_id`,"created_at" DESC,"id" DESC);--> statement-breakpoint
CREATE TABLE `archival_records` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`phone_number_id` text NOT NULL,
	`previous_agent_id` text NOT NULL,
	`new_agent_id` text NOT NULL,
	`conversations_archived` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`phone_number_id`) REFERENCES `phone_numbers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`previous_agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`new_agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `archival_records_phone_idx` ON `archival_records` (`phone_number_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `conversations` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`phone_number_id` text NOT NULL,
	`agent_id` text NOT NULL,
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
CREATE UNIQUE INDEX `conversations_active_customer_uq` ON `conversations` (`phone_number_id`,`customer_id`) WHERE "conversations"."status" = 'active';--> statement-breakpoint
CREATE INDEX `conversations_org_list_idx` ON `conversations` (`org_id`,"activity_at" DESC,"id" DESC);--> statement-breakpoint
CREATE INDEX `conversations_phone_idx` ON `conversations` (`phone_number_id`);--> statement-breakpoint
CREATE INDEX `conversations_agent_idx` ON `conversations` (`agent_id`);--> statement-breakpoint
CREATE TABLE `idempotency_records` (
	`key_id` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`fingerprint` text NOT NULL,
	`status` integer,
	`body` text,
	`locked_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`key_id`, `idempotency_key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_records_expires_idx` ON `idempotency_records` (`expires_at`);--> statement-breakpoint
CREATE TABLE `messages` (
	`id` text PRIMARY KEY NOT NULL,
	`conversation_id` text NOT NULL,
	`phone_number_id` text NOT NULL,
	`seq` integer NOT NULL,
	`role` text NOT NULL,
	`text` text NOT NULL,
	`type` text NOT NULL,
	`platform_message_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`phone_number_id`) REFERENCES `phone_numbers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `messages_platform_uq` ON `messages` (`phone_number_id`,`platform_message_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `messages_conversation_seq_uq` ON `messages` (`conversation_id`,`seq`);--> statement-breakpoint
CREATE TABLE `orgs` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`plan` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `phone_numbers` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`user_id` text NOT NULL,
	`platform` text NOT NULL,
	`meta_phone_number_id` text NOT NULL,
	`display_name` text,
	`waba_id` text,
	`access_token` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `phone_numbers_meta_live_uq` ON `phone_numbers` (`platform`,`meta_phone_number_id`) WHERE "phone_numbers"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX `phone_numbers_org_list_idx` ON `phone_numbers` (`org_id`,"created_at" DESC,"id" DESC) WHERE "phone_numbers"."deleted_at" IS NULL;--> statement-breakpoint
CREATE INDEX `phone_numbers_user_idx` ON `phone_numbers` (`user_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`email` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_uq` ON `users` (`email`) WHERE "users"."email" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `users_org_idx` ON `users` (`org_id`);