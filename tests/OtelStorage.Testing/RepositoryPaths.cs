namespace OtelStorage.Testing;

/// <summary>Finds the repository root (the folder holding OtelStorage.sln) from the test's output folder.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string S3rverScript => Path.Combine(Root, "node_modules", "s3rver", "bin", "s3rver.js");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OtelStorage.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("OtelStorage.sln not found above " + AppContext.BaseDirectory);
    }
}
