using System.Diagnostics;
using System.Text;

namespace FaultLine.Package.Tests;

/// <summary>What a child <c>dotnet</c> did: exit code and everything it printed, for assertion messages.</summary>
public sealed record CliResult(string CommandLine, string WorkingDirectory, int ExitCode, bool TimedOut, string Output)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    public override string ToString() =>
        $"`{CommandLine}` in {WorkingDirectory} "
        + (TimedOut ? "timed out" : $"exited with {ExitCode}")
        + $"; its output:{Environment.NewLine}{Output}";
}

/// <summary>
/// Runs the dotnet CLI as a user would, from inside a test host. The test host runs under
/// <c>dotnet test</c>, which leaves MSBuild's own variables in the environment (MSBuildExtensionsPath,
/// MSBuildSDKsPath, MSBUILD_EXE_PATH, DOTNET_HOST_PATH, ...); inherited, they point a child build at the
/// parent's MSBuild and SDK resolver state, so every MSBuild-related variable is removed first.
/// No build servers: a compiler server or MSBuild node left behind would outlive the test and keep
/// the temporary directories busy.
/// </summary>
internal static class DotnetCli
{
    private static readonly string[] InheritedPrefixesToDrop = { "MSBUILD", "DOTNET_HOST_PATH", "VSTEST", "TESTINGPLATFORM" };

    public static CliResult Run(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(DotnetExecutable())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var key in start.Environment.Keys.ToList())
        {
            if (InheritedPrefixesToDrop.Any(prefix => key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
            {
                start.Environment.Remove(key);
            }
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["DOTNET_CLI_DO_NOT_USE_MSBUILD_SERVER"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["MSBUILDTERMINALLOGGER"] = "off";
        start.Environment["UseSharedCompilation"] = "false";
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                start.Environment[key] = value;
            }
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var commandLine = "dotnet " + string.Join(" ", arguments);
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new CliResult(commandLine, workingDirectory, -1, TimedOut: true, Snapshot(output));
        }

        process.WaitForExit(); // drains the redirected streams
        return new CliResult(commandLine, workingDirectory, process.ExitCode, TimedOut: false, Snapshot(output));
    }

    private static string DotnetExecutable()
    {
        // The SDK that runs these tests, not whatever 'dotnet' is first on PATH.
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(host) && File.Exists(host) ? host : "dotnet";
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
