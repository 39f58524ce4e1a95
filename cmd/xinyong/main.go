// Command xinyong is the public credit information platform: one binary
// that serves the portal and the API, migrates its database, loads demo
// data and checks national identifier codes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *environ, args []string) error
}

// environ is what a subcommand sees of the process: its streams and
// environment, so that tests can run commands in-process.
type environ struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// exitError carries an exit status other than 1.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// usageError marks a mistake in how the command was called (exit 2).
func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

func commands() []command {
	return []command{
		{"serve", "运行门户网站和数据接口 (run the portal and the API)", runServe},
		{"migrate", "升级数据库结构 (apply database migrations)", runMigrate},
		{"code", "校验统一社会信用代码等 (check identifier codes: code check)", runCode},
		{"import", "导入信用信息文件 (import a CSV/XLSX file of credit records)", runImport},
		{"record", "信用记录 (show a record's versions, revoke or restore it)", runRecord},
		{"catalog", "信息目录 (list the catalogue: catalog list | catalog show KIND)", runCatalog},
		{"evaluate", "公共信用综合评价 (public credit evaluation: evaluate | evaluate show CODE | evaluate model)", runEvaluate},
		{"inspect", "双随机抽查 (random inspections: inspect redraw TASK | inspect list)", runInspect},
		{"market", "网上中介服务超市 (intermediary marketplace: market verify-draw FILE)", runMarket},
		{"stats", "统计 (statistics: stats intake)", runStats},
		{"registry", "主体登记库和重错码纠错 (registration database and code correction: registry sync | scan | cases | notice | returns)", runRegistry},
		{"lender", "信易贷金融机构 (lenders: lender list | add ORG --kind K)", runLender},
		{"hiring", "招录人选信用记录查询 (hiring checks, 789号: hiring erase)", runHiring},
		{"integrity", "政务诚信监测 (government-integrity monitoring: integrity score | model | scope)", runIntegrity},
		{"org", "机构 (organisations: org list | add | disable | enable)", runOrg},
		{"user", "账户 (accounts: user list | add | passwd | disable | enable)", runUser},
		{"client", "接口密钥 (API clients: client list | add | rotate | revoke)", runClient},
		{"audit", "审计日志 (audit trail: audit verify | list)", runAudit},
		{"report", "信用报告 (credit reports: report key | verify | issue | log)", runReport},
		{"key", "数据密钥 (data key: key rotate [--new-key-file F] [--reencrypt])", runKey},
		{"export", "导出信用信息 (export records in the national 双公示 layout: JSON lines or CSV)", runExport},
		{"snapshot", "公开数据快照 (take the day's public snapshot and delta: snapshot [--day D])", runSnapshot},
		{"peer", "对端平台 (exchange peers: peer add | list | show | remove)", runPeer},
		{"bench", "性能测试 (benchmarks: bench import, bench portal)", runBench},
		{"demo", "生成演示数据 (fill the database with synthetic demo data)", runDemo},
		{"version", "显示版本 (print the version)", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &environ{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(run(ctx, env, os.Args[1:]))
}

// run runs the subcommand named by args[0] and returns the exit status.
func run(ctx context.Context, env *environ, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(env.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		cenv := env
		if wantsHelp(args[1:]) { // help is output, not an error: stdout
			e := *env
			e.stderr = env.stdout
			cenv = &e
		}
		err := c.run(ctx, cenv, args[1:])
		var ee *exitError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ee):
			if ee.err != nil {
				fmt.Fprintf(env.stderr, "xinyong %s: %v\n", c.name, ee.err)
			}
			return ee.code
		default:
			fmt.Fprintf(env.stderr, "xinyong %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(env.stderr, "xinyong: unknown command %q\n\n", args[0])
	printUsage(env.stderr)
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "xinyong — 公共信用信息平台 (public credit information platform)")
	fmt.Fprintln(w, "\nUsage: xinyong COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'xinyong COMMAND --help' for a command's flags. Every flag can also be set by its XINYONG_* variable.")
}

// newFlagSet makes a flag set whose errors and help go to env.stderr.
func newFlagSet(env *environ, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("xinyong "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: xinyong %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, turning a bad flag into a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{code: 2}
	}
	return nil
}
