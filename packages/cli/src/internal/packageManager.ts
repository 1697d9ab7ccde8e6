/**
 * How a message names a command of an installed package: with the package manager that ran `helicone-eval`, as
 * `npm_config_user_agent` says (`pnpm exec helicone-local`, `npx helicone-local`, `yarn helicone-local`,
 * `bunx helicone-local`), or the bare command when it was run otherwise.
 *
 * @internal
 */

/** The package manager `npm_config_user_agent` names (`pnpm/10.4.1 npm/? node/v22…`), if one that we know. */
export const packageManager = (userAgent: string | undefined): "pnpm" | "npm" | "yarn" | "bun" | undefined => {
  const name = userAgent?.trim().split("/")[0]
  return name === "pnpm" || name === "npm" || name === "yarn" || name === "bun" ? name : undefined
}

/** `command` (a bin and its arguments) as the user would type it in their project. */
export const commandLine = (command: string, userAgent: string | undefined): string => {
  switch (packageManager(userAgent)) {
    case "pnpm":
      return `pnpm exec ${command}`
    case "npm":
      return `npx ${command}`
    case "yarn":
      return `yarn ${command}`
    case "bun":
      return `bunx ${command}`
    case undefined:
      return command
  }
}

/** How to install a development dependency, as the user would type it. */
export const addDevDependency = (name: string, userAgent: string | undefined): string => {
  switch (packageManager(userAgent)) {
    case "pnpm":
      return `pnpm add -D ${name}`
    case "yarn":
      return `yarn add -D ${name}`
    case "bun":
      return `bun add -d ${name}`
    case "npm":
    case undefined:
      return `npm i -D ${name}`
  }
}
