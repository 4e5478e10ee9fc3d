// @mantle/bakery public library API (named exports only).
export {};
