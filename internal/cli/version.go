package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print meta's version",
		Example: "  meta version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a.printf("meta %s\n", versionString())
			return nil
		},
	}
}

// versionString is what 'meta version' and 'meta --version' print after "meta ".
func versionString() string {
	v := Version
	if v == "dev" {
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	return fmt.Sprintf("%s %s/%s %s", v, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

func newCompletionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print a completion script for the named shell. Load it in the current
shell, or install it where your shell looks for completions.`,
		Example: `  source <(meta completion bash)
  meta completion zsh > "${fpath[1]}/_meta"
  meta completion fish > ~/.config/fish/completions/meta.fish`,
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(a.out(), true)
			case "zsh":
				return root.GenZshCompletion(a.out())
			case "fish":
				return root.GenFishCompletion(a.out(), true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(a.out())
			}
			return nil
		},
	}
}
