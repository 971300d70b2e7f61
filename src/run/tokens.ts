/**
 * Tokens and specs: the token of a run of a spec (tokenFor), and the spec a
 * token names (specForToken), loading a user scenario file only when it is
 * the file the token was made from.
 */
import { isAbsolute } from 'node:path';
import type { Finding } from '../explore/explorer.js';
import { type TokenData, TokenError, encodeToken } from '../report/token.js';
import type { Scenario } from '../scenarios/api.js';
import { UsageError } from '../scenarios/index.js';
import { type LoadedScenario, loadAnyScenario, loadScenarioFile, looksLikePath } from './load-scenario.js';
import { type RunSpec, resolveSpec } from './spec.js';

/** The token of one run of `spec`: its prelude runs, choices, report index and digest. */
export function tokenFor(
  spec: RunSpec,
  choices: readonly number[],
  prelude: Finding['prelude'],
  idx: number,
  digest: string,
): string {
  return encodeToken({
    scenario: spec.file ? spec.file.path : spec.scenarioRef,
    scenarioHash: spec.file?.hash,
    variant: spec.variant?.name,
    variantHash: spec.variant?.sourceHash,
    config: spec.configName,
    overrides: spec.overrides,
    params: spec.paramOverrides,
    prelude,
    choices,
    reportIndex: idx,
    digest: digest || '0000000000000000',
  });
}

/**
 * The RunSpec of a token. A token of a user scenario names an absolute path and the file's
 * content hash: the file is loaded only when it is a regular scenario file with that content;
 * `scenarioFile` (replay --scenario FILE) loads the user's file instead.
 */
export async function specForToken(t: TokenData, scenarioFile?: string | Scenario): Promise<RunSpec> {
  const sets = Object.entries(t.overrides).map(([k, v]) => `${k}=${String(v)}`);
  const params = Object.entries(t.params ?? {}).map(([k, v]) => `${k}=${String(v)}`);
  let loaded: LoadedScenario;
  if (scenarioFile !== undefined && typeof scenarioFile !== 'string') {
    loaded = { scenario: scenarioFile };
  } else if (scenarioFile !== undefined) {
    loaded = looksLikePath(scenarioFile) ? await loadScenarioFile(scenarioFile) : await loadAnyScenario(scenarioFile);
  } else if (t.scenarioHash === undefined) {
    if (looksLikePath(t.scenario))
      throw new TokenError(
        `the token names the scenario file ${t.scenario} without its content hash, so it is not loaded; give the scenario with --scenario FILE`,
      );
    loaded = await loadAnyScenario(t.scenario);
  } else {
    if (!looksLikePath(t.scenario))
      throw new TokenError(`malformed token: a content hash for the built-in scenario '${t.scenario}'`);
    if (!isAbsolute(t.scenario))
      throw new TokenError(
        `the token names the scenario file ${t.scenario} by a relative path, so it is not loaded; give the scenario with --scenario FILE`,
      );
    try {
      loaded = await loadScenarioFile(t.scenario, t.scenario, t.scenarioHash);
    } catch (e) {
      if (e instanceof UsageError && !e.message.includes('--scenario FILE'))
        throw new UsageError(`not loading the token's scenario: ${e.message}; give the scenario with --scenario FILE`);
      throw e;
    }
  }
  const spec = resolveSpec(
    loaded.scenario,
    typeof scenarioFile === 'string' ? scenarioFile : t.scenario,
    t.variant,
    t.config,
    sets,
    loaded.file,
    params,
  );
  // A user variant (defineVariant) replays only under the definition and patches it was made with.
  const have = spec.variant?.sourceHash;
  if (have !== t.variantHash)
    throw new TokenError(
      t.variantHash === undefined
        ? `the token was made under the built-in variant '${t.variant}', but the scenario's '${t.variant}' is a user variant (defineVariant): not replaying under different code`
        : have === undefined
          ? `the token was made under a user variant '${t.variant}' (source ${t.variantHash}), which the scenario does not define: not replaying under different code`
          : `variant '${t.variant}' changed since the token was made (its definition or patch source has hash ${have}, the token's is ${t.variantHash}): not replaying under different code`,
    );
  return spec;
}
