import type { Database } from "../../infrastructure/postgres/database.ts";
import { BusinessDomainGuard } from "../../domain/auth/business_domain_guard.ts";
import type { CurrentUser } from "../../domain/auth/current_user.ts";
import { type CustomerGroup, newCustomerGroup } from "../../domain/group/customer_group.ts";
import { insertCustomerGroup } from "../../infrastructure/postgres/customer_group_repository.ts";
import { appendDomainEvent } from "../../infrastructure/postgres/domain_event_repository.ts";
import { logger } from "../../shared/logger.ts";
import { bindLogFields } from "../../shared/request_context.ts";

/** Input of createCustomerGroup. */
export interface CreateCustomerGroupCommand {
  user: CurrentUser;
  groupName: string;
  businessDomain: string;
  maxMember?: number;
  description?: string | null;
}

/** Creates an empty group in a domain the user holds (403 otherwise, 409 on a taken name). */
export async function createCustomerGroup(
  deps: { db: Database },
  { user, ...input }: CreateCustomerGroupCommand,
): Promise<CustomerGroup> {
  BusinessDomainGuard.requireDomain(user, input.businessDomain);
  const draft = newCustomerGroup(input);
  const operator = { uid: user.dingUserId, name: user.name };
  const group = await deps.db.sql.begin(async (tx) => {
    const created = await insertCustomerGroup(tx, draft, operator);
    await appendDomainEvent(tx, {
      aggregateType: "CustomerGroup",
      aggregateId: created.id,
      eventType: "CustomerGroupCreated",
      payload: {
        groupId: created.id,
        groupName: created.groupName,
        businessDomain: created.businessDomain,
        maxMember: created.maxMember,
        operationUid: operator.uid,
      },
      operator,
    });
    return created;
  });
  bindLogFields({ groupId: group.id });
  logger.info("customer group created", {
    groupId: group.id,
    businessDomain: group.businessDomain,
    maxMember: group.maxMember,
  });
  return group;
}
