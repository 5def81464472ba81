export const greet = (who) => `hi ${who}`;
