/** Names that trip LIKE escaping, case folding and collation. */
export const TRICKY_NAMES = [
  "100% Logistics",
  "100 Logistics",
  "snake_case Trading",
  "snakeXcase Trading",
  "上海物流有限公司",
  "上海冷链物流有限公司",
  "MiXeD CaSe Harbor",
  "mixed case harbor",
  "MIXED CASE HARBOR",
  "back\\slash Harbor",
  "Ünïcode Harbor",
  "harbor",
];
