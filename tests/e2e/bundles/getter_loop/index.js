export default { get fetch() { for (;;) {} } };
