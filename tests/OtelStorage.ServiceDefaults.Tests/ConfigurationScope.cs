using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

// The seed's names are read from the process environment, which every test here changes: they run one at a time.
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]

namespace OtelStorage.ServiceDefaults.Tests;

/// <summary>
/// A content root of its own and a process environment without any of the names ServiceDefaults reads, for one test;
/// both are put back on dispose. <see cref="Build"/> makes a service's builder there, as its Program.cs does.
/// </summary>
internal sealed class ConfigurationScope : IDisposable
{
    /// <summary>Every environment name ServiceDefaults reads by itself (the rest come through configuration).</summary>
    public static readonly string[] SeedVariables =
        ["SERVER_HOST", "SERVER_PORT", "STORAGE_BUCKET", "STORAGE_PREFIX", "PROCESSING_BATCH_SIZE", "PROCESSING_BATCH_TIMEOUT_MS", "OTELSTORAGE_CONFIG"];

    private readonly Dictionary<string, string?> _saved = [];

    public ConfigurationScope()
    {
        foreach (var name in SeedVariables)
        {
            Set(name, null);
        }
    }

    public string ContentRoot { get; } = Directory.CreateTempSubdirectory("servicedefaults-").FullName;

    /// <summary>Sets a process environment variable (null removes it) until the scope ends.</summary>
    public void Set(string name, string? value)
    {
        _saved.TryAdd(name, Environment.GetEnvironmentVariable(name));
        Environment.SetEnvironmentVariable(name, value);
    }

    /// <summary>Writes a file into the content root and returns its path.</summary>
    public string Write(string name, string text)
    {
        var path = Path.Combine(ContentRoot, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The configuration of a service builder over the content root after <c>AddServiceDefaults()</c>.</summary>
    public IConfiguration Build(params string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = ContentRoot, EnvironmentName = Environments.Production });
        builder.AddServiceDefaults();
        return builder.Configuration;
    }

    public void Dispose()
    {
        foreach (var (name, value) in _saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        Directory.Delete(ContentRoot, recursive: true);
    }
}
