/** The owner created by the setup project; every console spec runs signed in as this person. */
export const OWNER = { name: "Olivia Owner", email: "owner@example.test", password: "correct horse battery" };

/** A short unique suffix so each spec works on its own organization. */
export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
