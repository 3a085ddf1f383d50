import { notFound } from '../../errors';
import type { Conversation, Message } from '../../model';
import type { ConversationFilter, PageRequest, PageResult } from '../../ports';
import { requireScope, type Ctx } from '../context';

export function getConversation() {
  return async ({ ctx, id }: { ctx: Ctx; id: string }): Promise<Conversation> => {
    requireScope(ctx.actor, 'conversations:read');
    const conversation = await ctx.uow.read((repos) => repos.conversations.get(ctx.actor.visibility, id));
    if (!conversation) throw notFound('conversation', id);
    return conversation;
  };
}

export function listConversations() {
  return async ({ ctx, filter, page }: { ctx: Ctx; filter: ConversationFilter; page: PageRequest }): Promise<PageResult<Conversation>> => {
    requireScope(ctx.actor, 'conversations:read');
    return ctx.uow.read((repos) => repos.conversations.list(ctx.actor.visibility, filter, page));
  };
}

export function listMessages() {
  return async ({ ctx, conversationId, page }: { ctx: Ctx; conversationId: string; page: PageRequest }): Promise<PageResult<Message>> => {
    requireScope(ctx.actor, 'conversations:read');
    return ctx.uow.read(async (repos) => {
      const conversation = await repos.conversations.get(ctx.actor.visibility, conversationId);
      if (!conversation) throw notFound('conversation', conversationId);
      return repos.messages.list(conversation.id, page);
    });
  };
}
