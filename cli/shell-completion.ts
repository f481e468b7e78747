// `warmctl completion bash|zsh`: a completion script generated from the commander program itself,
// so every command and option warmctl has is completed and none it lacks.
import type { Command, Option } from 'commander';

export const COMPLETION_SHELLS = ['bash', 'zsh'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** Options whose value is a file name. */
const FILE_OPTIONS = ['-f', '--file', '--html', '--config-file', '--tls-cert-path', '--tls-key-path', '--tls-ca-path'];
/** Fixed choices for option values and for commands' first argument. */
const OPTION_CHOICES: Record<string, string[]> = { '-o': ['text', 'json'], '--output': ['text', 'json'] };
const ARGUMENT_CHOICES: Record<string, string[]> = {
  completion: [...COMPLETION_SHELLS],
  optimizer: ['status', 'pause', 'resume'],
};

function words(options: readonly Option[]): string[] {
  return options.flatMap((option) => [option.short, option.long]).filter((flag): flag is string => Boolean(flag));
}

function takingValues(options: readonly Option[]): string[] {
  return words(options.filter((option) => option.required || option.optional));
}

/** A bash function `_warmctl` plus `complete -F _warmctl warmctl`. */
function bashScript(program: Command): string {
  const commands = program.commands.filter((command) => command.name() !== 'help');
  const globals = words(program.options);
  const valueOptions = new Set([...takingValues(program.options), ...commands.flatMap((c) => takingValues(c.options))]);
  const quote = (list: Iterable<string>) => [...list].join(' ');
  const perCommand = commands
    .map((command) => `      ${command.name()}) opts="${quote(words(command.options))}" ;;`)
    .join('\n');
  const argumentChoices = Object.entries(ARGUMENT_CHOICES)
    .map(([name, choices]) => `      ${name}) COMPREPLY=($(compgen -W "${quote(choices)}" -- "$cur")); return ;;`)
    .join('\n');
  const optionChoices = Object.entries(OPTION_CHOICES)
    .map(([name, choices]) => `    ${name}) COMPREPLY=($(compgen -W "${quote(choices)}" -- "$cur")); return ;;`)
    .join('\n');
  return `_warmctl() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local commands="${quote(commands.map((c) => c.name()))}"
  local globals="${quote(globals)}"
  local value_options=" ${quote(valueOptions)} "
  local cmd="" args=0 i
  for ((i = 1; i < COMP_CWORD; i++)); do
    local word="\${COMP_WORDS[i]}"
    if [[ "$value_options" == *" $word "* ]]; then ((i++)); continue; fi
    [[ "$word" == -* ]] && continue
    if [[ -z "$cmd" ]]; then cmd="$word"; else ((args++)); fi
  done
  case "$prev" in
    ${FILE_OPTIONS.join('|')}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
${optionChoices}
  esac
  if [[ "$value_options" == *" $prev "* ]]; then COMPREPLY=(); return; fi
  local opts=""
  case "$cmd" in
${perCommand}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts $globals" -- "$cur"))
  elif [[ -z "$cmd" ]]; then
    COMPREPLY=($(compgen -W "$commands" -- "$cur"))
  elif [[ $args -eq 0 ]]; then
    case "$cmd" in
${argumentChoices}
    esac
  fi
}
complete -F _warmctl warmctl
`;
}

/** The completion script for `shell`, to be sourced (`source <(warmctl completion bash)`). */
export function completionScript(program: Command, shell: CompletionShell): string {
  const bash = bashScript(program);
  if (shell === 'bash')
    return `# warmctl completion for bash: add to ~/.bashrc\n#   source <(warmctl completion bash)\n${bash}`;
  // zsh runs bash completion functions through bashcompinit: one script, the same behaviour.
  return `# warmctl completion for zsh: add to ~/.zshrc (after compinit)\n#   source <(warmctl completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${bash}`;
}
