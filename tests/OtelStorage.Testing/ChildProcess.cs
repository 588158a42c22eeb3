using System.Diagnostics;
using System.Text;

namespace OtelStorage.Testing;

/// <summary>A child process whose output is kept for diagnostics, which can be killed, paused and resumed.</summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ChildProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>SIGKILL of the whole process tree.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>SIGTERM: what orchestrators send to stop a process gracefully.</summary>
    public void Terminate() => Signal("TERM");

    /// <summary>The exit code, once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>SIGSTOP: the process keeps its sockets but answers nothing.</summary>
    public void Pause() => Signal("STOP");

    /// <summary>SIGCONT.</summary>
    public void Resume() => Signal("CONT");

    /// <summary>SIGSTOP of the process and every descendant: for launch scripts that run the real server as a child.</summary>
    public void PauseTree() => SignalTree("STOP");

    /// <summary>SIGCONT of the process and every descendant.</summary>
    public void ResumeTree() => SignalTree("CONT");

    /// <summary>The process and every descendant, parents first.</summary>
    public IReadOnlyList<int> TreeIds()
    {
        var pids = new List<int> { _process.Id };
        for (var i = 0; i < pids.Count; i++)
        {
            using var ps = Process.Start(new ProcessStartInfo("ps", ["-o", "pid=", "--ppid", pids[i].ToString(System.Globalization.CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true })!;
            pids.AddRange(ps.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture)));
            ps.WaitForExit();
        }

        return pids;
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            // Keep the tail only: brokers can be chatty over a long test run.
            if (_output.Length > 4 * 1024 * 1024)
            {
                _output.Remove(0, 2 * 1024 * 1024);
            }

            _output.AppendLine(line);
        }
    }

    private void SignalTree(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, .. TreeIds().Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        kill.WaitForExit();
    }

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {_process.Id} failed with exit code {kill.ExitCode}");
        }
    }
}
