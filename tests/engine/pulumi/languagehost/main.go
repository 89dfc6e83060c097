// Command pulumi-language-python is this project's stand-in for Pulumi's Python language host,
// for the end-to-end tests only.
//
// Why not the real one: Pulumi's host is its own Go module,
// github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3, and the Go module proxy
// these machines reach answers every version of it with 403 "This module version is not
// available" (`go list -m github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3@v3.274.1`;
// v3.272.0, v3.260.0, v3.248.0, v3.229.0, v3.100.0 and latest likewise). Everything it drives is real and comes
// from the sdk/v3 module at the pinned version: the Python toolchain package
// (sdk/v3/python/toolchain), the exec shim that runs the program
// (sdk/v3/python/cmd/pulumi-language-python-exec) and the policy-pack proxy (sdk/v3/policy_proxy.go).
//
// Written (not copied) after sdk/python/cmd/pulumi-language-python/main.go of pulumi/pulumi; each
// method names the function it models. Left out: the debugger, type checkers, and everything
// for code generation, templates, packing and linking (Unimplemented), none of which a
// preview, up or destroy of a Python program uses.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// The exec shim the program runs under, installed next to this executable (as the real host expects).
const execShim = "pulumi-language-python-exec"

// Exit code by which the exec shim says it already showed the user an actionable message.
const exitedAfterUserMessage = 32

// main models main(): serve the LanguageRuntime service on a free port and print the port,
// which is how the engine finds a plugin (sdk/go/common/resource/plugin/plugin.go, newPlugin).
func main() {
	showVersion := flag.Bool("version", false, "print the plugin version and exit")
	flag.String("tracing", "", "accepted for compatibility; tracing is not supported")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		return
	}

	self, err := os.Executable()
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not determine current executable: %w", err))
	}
	shim := filepath.Join(filepath.Dir(self), execShim)
	if _, err := os.Stat(shim); err != nil {
		cmdutil.Exit(fmt.Errorf("missing executor %s: %w", shim, err))
	}

	var engineAddress string
	if flag.NArg() > 0 {
		engineAddress = flag.Arg(0)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	cancelChannel := make(chan bool)
	go func() {
		<-ctx.Done()
		stop()
		close(cancelChannel)
	}()
	if engineAddress != "" {
		// Exit when the engine goes away, as the real host does.
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, stop); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start health check host RPC server: %w", err))
		}
	}

	cancelCtx, cancel := context.WithCancel(context.Background())
	host := &languageHost{exec: shim, engineAddress: engineAddress, cancelCtx: cancelCtx, cancel: cancel}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelChannel,
		Init: func(server *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(server, host)
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	exec          string
	engineAddress string
	cancelCtx     context.Context // cancelled by the Cancel RPC
	cancel        context.CancelFunc
}

// pythonOptions models parseOptions: the runtime options of Pulumi.yaml / PulumiPolicy.yaml.
func pythonOptions(info *pulumirpc.ProgramInfo, isPlugin bool) (toolchain.PythonOptions, error) {
	opts := toolchain.PythonOptions{Root: info.RootDirectory, ProgramDir: info.ProgramDirectory}
	options := info.Options.AsMap()
	if value, ok := options["virtualenv"]; ok {
		virtualenv, isString := value.(string)
		if !isString {
			return opts, errors.New("virtualenv option must be a string")
		}
		opts.Virtualenv = virtualenv
	}
	if value, ok := options["typechecker"]; ok && value != "" {
		return opts, fmt.Errorf("typechecker %v: not supported by this test language host", value)
	}
	if value, ok := options["toolchain"]; ok {
		switch value {
		case "pip":
			opts.Toolchain = toolchain.Pip
		case "poetry":
			opts.Toolchain = toolchain.Poetry
		case "uv":
			opts.Toolchain = toolchain.Uv
		default:
			return opts, fmt.Errorf("unsupported toolchain option: %v", value)
		}
	}
	// Plugins never run in the ambient Python: default their virtualenv to "venv", as the real host does.
	if isPlugin && (opts.Toolchain == toolchain.Pip || opts.Toolchain == toolchain.Auto) && opts.Virtualenv == "" {
		opts.Virtualenv = "venv"
	}
	return opts, nil
}

func resolve(info *pulumirpc.ProgramInfo, isPlugin bool) (toolchain.PythonOptions, toolchain.Toolchain, error) {
	opts, err := pythonOptions(info, isPlugin)
	if err != nil {
		return opts, nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	return opts, tc, err
}

// Handshake models Handshake: the engine tells us its address.
func (host *languageHost) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	host.engineAddress = req.EngineAddress
	healthCtx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	if err := rpcutil.Healthcheck(healthCtx, host.engineAddress, 5*time.Minute, stop); err != nil {
		return nil, fmt.Errorf("could not start health check host RPC server: %w", err)
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

// GetPluginInfo models GetPluginInfo: the version the build stamped in.
func (host *languageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// pluginJSONScript prints, for each distribution named on the command line, the path of the
// pulumi-plugin.json inside its top-level package ("" when there is none).
const pluginJSONScript = `import importlib.metadata as md, importlib.util as iu, json, os, sys
found = {}
for name in sys.argv[1:]:
    path = ""
    try:
        spec = iu.find_spec(md.distribution(name).metadata["Name"].replace("-", "_"))
        for folder in (spec.submodule_search_locations or []) if spec else []:
            candidate = os.path.join(folder, "pulumi-plugin.json")
            if os.path.isfile(candidate):
                path = candidate
                break
    except Exception:
        pass
    found[name] = path
print(json.dumps(found))`

// GetRequiredPackages models GetRequiredPackages with listPulumiPackageInfos and
// packageDependencyFromPluginJSON: the resource plugin of every installed Pulumi package.
func (host *languageHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	_, tc, err := resolve(req.Info, false)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}
	installed, err := tc.ListPackages(ctx, true)
	if err != nil {
		return nil, err
	}
	args := []string{"-c", pluginJSONScript}
	for _, pkg := range installed {
		args = append(args, pkg.Name)
	}
	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return nil, err
	}
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("finding pulumi-plugin.json files: %w", err)
	}
	var paths map[string]string
	if err := json.Unmarshal(out, &paths); err != nil {
		return nil, fmt.Errorf("reading pulumi-plugin.json paths: %w", err)
	}

	packages := []*pulumirpc.PackageDependency{}
	for _, pkg := range installed {
		// pulumi-policy has no plugin (the real host's packagesWithoutPlugins).
		if pkg.Name == "pulumi-policy" || pkg.Name == "pulumi-esc-sdk" {
			continue
		}
		var pluginJSON *plugin.PulumiPluginJSON
		if path := paths[pkg.Name]; path != "" {
			if pluginJSON, err = plugin.LoadPulumiPluginJSON(path); err != nil {
				return nil, fmt.Errorf("reading %s: %w", path, err)
			}
		}
		if pluginJSON == nil && !strings.HasPrefix(pkg.Name, "pulumi-") {
			continue // not a Pulumi package
		}
		if dependency := packageDependency(pkg, pluginJSON); dependency != nil {
			packages = append(packages, dependency)
		}
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

// A release version, the only package versions this host turns into plugin versions (the real
// host also translates PEP 440 pre-releases; no package this project installs is one).
var releaseVersion = regexp.MustCompile(`^\d+\.\d+\.\d+$`)

// packageDependency models packageDependencyFromPluginJSON.
func packageDependency(pkg plugin.DependencyInfo, p *plugin.PulumiPluginJSON) *pulumirpc.PackageDependency {
	var name, ver, server string
	var parameterization *pulumirpc.PackageParameterization
	if p != nil {
		if !p.Resource {
			return nil
		}
		name, ver, server = p.Name, p.Version, p.Server
		if p.Parameterization != nil {
			parameterization = &pulumirpc.PackageParameterization{
				Name: p.Parameterization.Name, Version: p.Parameterization.Version, Value: p.Parameterization.Value,
			}
		}
	}
	if name == "" {
		name = strings.TrimPrefix(pkg.Name, "pulumi-")
	}
	if ver == "" {
		if !releaseVersion.MatchString(pkg.Version) {
			return nil
		}
		ver = pkg.Version
	}
	if !strings.HasPrefix(ver, "v") {
		ver = "v" + ver
	}
	return &pulumirpc.PackageDependency{
		Name: name, Version: ver, Kind: "resource", Server: server, Parameterization: parameterization,
	}
}

// GetProgramDependencies models GetProgramDependencies: the packages of the program's venv.
func (host *languageHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	_, tc, err := resolve(req.Info, false)
	if err != nil {
		return nil, err
	}
	installed, err := tc.ListPackages(ctx, req.TransitiveDependencies)
	if err != nil {
		return nil, fmt.Errorf("failed to get python dependencies: %w", err)
	}
	dependencies := make([]*pulumirpc.DependencyInfo, len(installed))
	for i, dep := range installed {
		dependencies[i] = &pulumirpc.DependencyInfo{Name: dep.Name, Version: dep.Version}
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: dependencies}, nil
}

// About models About.
func (host *languageHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	opts := toolchain.PythonOptions{Toolchain: toolchain.Pip}
	if req != nil && req.Info != nil {
		var err error
		if opts, err = pythonOptions(req.Info, false); err != nil {
			return nil, err
		}
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	info, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: info.PythonExecutable,
		Version:    info.PythonVersion.String(),
		Metadata:   map[string]string{"toolchain": toolchain.Name(opts.Toolchain)},
	}, nil
}

// InstallDependencies models InstallDependencies: the toolchain creates the venv and installs
// requirements.txt (pip), streaming its output to the engine.
func (host *languageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	_, tc, err := resolve(req.Info, req.IsPlugin)
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.IsTerminal)
	if err != nil {
		return err
	}
	defer closer.Close()
	fmt.Fprint(stdout, "Installing dependencies...\n\n")
	if err := tc.InstallDependencies(server.Context(), req.Info.ProgramDirectory, req.UseLanguageVersionTools,
		true, stdout, stderr); err != nil {
		return err
	}
	fmt.Fprint(stdout, "Finished installing dependencies\n\n")
	return closer.Close()
}

// runArguments models constructArguments: the exec shim's command line.
func (host *languageHost) runArguments(req *pulumirpc.RunRequest) []string {
	args := []string{host.exec}
	add := func(flag, value string) {
		if value != "" {
			args = append(args, "--"+flag, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", host.engineAddress)
	add("project", req.GetProject())
	add("root_directory", req.GetInfo().GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("dry_run", strconv.FormatBool(req.GetDryRun()))
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("organization", req.GetOrganization())
	args = append(args, req.GetInfo().GetEntryPoint())
	return append(args, req.GetArgs()...)
}

// runEnvironment models constructConfig and constructConfigSecretKeys: the stack's config as
// JSON in PULUMI_CONFIG and its secret keys in PULUMI_CONFIG_SECRET_KEYS.
func runEnvironment(req *pulumirpc.RunRequest, environ []string) ([]string, error) {
	if req.GetConfig() != nil {
		config, err := json.Marshal(req.GetConfig())
		if err != nil {
			return nil, fmt.Errorf("failed to serialize configuration: %w", err)
		}
		environ = append(environ, "PULUMI_CONFIG="+string(config))
	}
	secretKeys := []byte("[]")
	if req.GetConfigSecretKeys() != nil {
		var err error
		if secretKeys, err = json.Marshal(req.GetConfigSecretKeys()); err != nil {
			return nil, fmt.Errorf("failed to serialize configuration secret keys: %w", err)
		}
	}
	return append(environ, "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys)), nil
}

// Run models Run: the program under the exec shim in the project's virtualenv; Cancel or the
// end of the request interrupts it.
func (host *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if host.engineAddress == "" {
		return nil, errors.New("when debugging or running explicitly, must call Handshake before Run")
	}
	if req.GetAttachDebugger() {
		return &pulumirpc.RunResponse{Error: "this test language host cannot attach a debugger"}, nil
	}
	_, tc, err := resolve(req.Info, false)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(host.cancelCtx)
	defer stop()
	context.AfterFunc(ctx, stop)
	cmd, err := tc.Command(runCtx, host.runArguments(req)...)
	if err != nil {
		return nil, err
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	environ := cmd.Env
	if environ == nil {
		environ = os.Environ()
	}
	if cmd.Env, err = runEnvironment(req, environ); err != nil {
		return nil, err
	}

	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("problem executing program (could not run language executor): %v", err),
			}, nil
		}
		if exitErr.ExitCode() == exitedAfterUserMessage {
			return &pulumirpc.RunResponse{Bail: true}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("program exited with non-zero exit code: %d", exitErr.ExitCode()),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// RunPlugin models RunPlugin for the two kinds this project has: a policy pack (kind analyzer,
// `python -u -m pulumi.policy ARGS <pack dir>` in the pack's dir, behind the SDK's policy proxy,
// which takes the stack's configuration from the engine first) and a bare plugin directory with a
// __main__.py. Buildable plugin packages (`pulumi.run.plugin`) are not supported.
func (host *languageHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer,
) error {
	ctx := server.Context()
	isAnalyzer := req.Kind == string(apitype.AnalyzerPlugin)
	_, tc, err := resolve(req.Info, !isAnalyzer)
	if err != nil {
		return err
	}
	var args []string
	if isAnalyzer {
		args = append(append([]string{"-u", "-m", "pulumi.policy"}, req.Args...), req.Info.ProgramDirectory)
	} else {
		if _, err := os.Stat(filepath.Join(req.Info.RootDirectory, "__main__.py")); err != nil {
			return fmt.Errorf("plugin %s has no __main__.py (buildable plugin packages are not supported here)",
				req.Name)
		}
		args = append([]string{req.Info.ProgramDirectory}, req.Args...)
	}
	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	var proxy *sdk.PolicyProxy
	if isAnalyzer {
		// Policy packs run in their own folder, with the stack's identity and config in the environment.
		cmd.Dir = req.Info.ProgramDirectory
		if proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout); err != nil {
			return fmt.Errorf("could not start policy pack proxy: %w", err)
		}
		config, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("could not get stack configuration: %w", err)
		}
		if cmd.Env, err = policyEnvironment(cmd.Env, config); err != nil {
			return err
		}
	} else {
		cmd.Dir = req.Pwd
	}
	cmd.Env = append(cmd.Env, req.Env...)
	cmd.Stdout, cmd.Stderr = stdout, stderr

	if err := cmd.Start(); err != nil {
		return fmt.Errorf("problem executing plugin program (could not run language executor): %w", err)
	}
	if proxy != nil {
		err = proxy.Attach(ctx, cmd)
	} else {
		err = cmd.Wait()
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if status, ok := exitErr.Sys().(syscall.WaitStatus); ok {
			return server.Send(&pulumirpc.RunPluginResponse{
				Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(status.ExitStatus())},
			})
		}
	}
	if err != nil {
		return err
	}
	return closer.Close()
}

// policyEnvironment: the variables the real RunPlugin sets for a policy pack from the engine's
// AnalyzerStackConfigureRequest.
func policyEnvironment(environ []string, config *pulumirpc.AnalyzerStackConfigureRequest) ([]string, error) {
	if config == nil {
		return environ, nil
	}
	add := func(key, value string) {
		if value != "" {
			environ = append(environ, key+"="+value)
		}
	}
	add("PULUMI_ORGANIZATION", config.Organization)
	add("PULUMI_PROJECT", config.Project)
	add("PULUMI_STACK", config.Stack)
	add("PULUMI_DRY_RUN", strconv.FormatBool(config.DryRun))
	if config.Config != nil {
		encoded, err := json.Marshal(config.Config)
		if err != nil {
			return nil, fmt.Errorf("could not marshal stack configuration: %w", err)
		}
		add("PULUMI_CONFIG", string(encoded))
	}
	return environ, nil
}

// Cancel models Cancel: interrupt a running program.
func (host *languageHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	host.cancel()
	return &emptypb.Empty{}, nil
}
