/** A page of results as use cases return it. */
export interface Page<T> {
  items: T[];
  /** null when the page was reached by cursor. */
  page: number | null;
  pageSize: number;
  total: number;
  /** Set by lists that cap their count: true when more items match than `total`. */
  totalIsCapped?: boolean;
  nextCursor: string | null;
}
