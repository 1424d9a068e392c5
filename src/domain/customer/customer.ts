import { AppError } from "../../shared/errors.ts";
import type { Source } from "../shared/source.ts";
import type { CompanySummary, CompanyView } from "./company.ts";
import { assertTransition, type CustomerStatus } from "./customer_status.ts";

/** Statuses a new customer may start in (contract section 3: PENDING unless ACTIVE is asked). */
export const INITIAL_STATUSES = ["PENDING", "ACTIVE"] as const;

/** Customers read in batches from an open query (an export): pull the next, or close early. */
export interface CustomerBatches {
  /** The next batch, or null after the last. */
  next(): Promise<CustomerView[] | null>;
  /** Stops the query (also mid-way) and ends its read transaction. */
  close(): Promise<void>;
}

/** The Customer JSON of contract section 6 (lists, create, updates). */
export interface CustomerView {
  id: number;
  customerCode: string;
  customerName: string;
  businessDomain: string;
  status: CustomerStatus;
  /** The customer this one was merged into (then TERMINATED), else null (contract §10.6). */
  mergedIntoId: number | null;
  source: Source;
  externalCode: string | null;
  contactName: string | null;
  contactPhone: string | null;
  remark: string | null;
  company: CompanySummary;
  operationUid: string;
  operationName: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** The customer detail: the full company and the groups listing the customer. */
export interface CustomerDetailView extends Omit<CustomerView, "company"> {
  company: CompanyView;
  groups: { id: number; groupName: string }[];
}

/** The body of POST /customers, also the command an import builds per external row. */
export interface CreateCustomerInput {
  customer: {
    customerName: string;
    businessDomain: string;
    source?: Source;
    externalCode?: string;
    contactName?: string;
    contactPhone?: string;
    remark?: string;
    status?: "PENDING" | "ACTIVE";
  };
  company: {
    companyCode?: string;
    sourceRefId?: string;
    companyName?: string;
    source?: Source;
    unifiedSocialCreditCode?: string;
    address?: string;
    contactName?: string;
    contactPhone?: string;
  };
  remoteId?: string;
}

/** Customer rules without I/O. */
export const Customer = {
  /** The status a new customer starts in. */
  initialStatus(requested?: string): CustomerStatus {
    return requested === "ACTIVE" ? "ACTIVE" : "PENDING";
  },

  /** 409 INVALID_STATUS_TRANSITION unless the machine allows it; staying put is not a change. */
  changeStatus(from: CustomerStatus, to: CustomerStatus): CustomerStatus {
    if (from === to) {
      throw new AppError("INVALID_STATUS_TRANSITION", `customer is already ${from}`, {
        extensions: { from, to },
      });
    }
    assertTransition(from, to);
    return to;
  },

  /**
   * Moving a customer to another business domain: the user must hold both domains (the source
   * one is already checked by the record being visible). Answers whether the domain changes;
   * the caller then removes the customer from the groups of the old domain.
   */
  changeDomain(
    user: { domainCodes: readonly string[]; dingUserId: string },
    from: string,
    to: string,
  ): boolean {
    for (const domain of [to, from]) {
      if (!user.domainCodes.includes(domain)) {
        throw new AppError(
          "FORBIDDEN",
          `business domain ${domain} is not granted to user ${user.dingUserId}`,
        );
      }
    }
    return from !== to;
  },
};
