// Kept for branches written against the old name; the rules live in ./errors.ts (ADR 0094).
export { isUniqueViolation, mapConstraintViolation as mapUniqueViolation } from "./errors.ts";
