// @mantle/kola public library API (named exports only).
export {};
