namespace OtelStorage.AppHost.Tests;

/// <summary>Arguments that run the AppHost in Local mode on free ports with throwaway data.</summary>
internal static class AppHostArguments
{
    public static string[] Local(string dataPath) =>
    [
        "Infrastructure:Mode=Local",
        "Infrastructure:FixedPorts=false",
        $"Infrastructure:DataPath={dataPath}",
    ];
}
