// Reads a declarative config file (JSON, or YAML by extension) and validates it as a whole.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigError, parseWarmingConfig, type WarmingConfig } from '../core/config-schema';

/** Parses and validates config text; `source` names it in errors. Throws ConfigError (one line). */
export function parseConfigText(text: string, source: string): WarmingConfig {
  const yaml = ['.yaml', '.yml'].includes(extname(source).toLowerCase());
  let raw: unknown;
  try {
    raw = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    const detail =
      err instanceof YAMLParseError ? err.message.split('\n')[0] : err instanceof Error ? err.message : String(err);
    throw new ConfigError(`${source}: not valid ${yaml ? 'YAML' : 'JSON'}: ${detail}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(
      `${source}: the config must be an object with "tasks", "patterns", "userPreload" or "optimizer"`,
    );
  }
  try {
    return parseWarmingConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${source}: ${err.message}`);
    throw err;
  }
}

/** Reads and validates a config file. */
export function loadConfigFile(path: string): WarmingConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${code ?? String(err)})`,
    );
  }
  return parseConfigText(text, path);
}
