namespace FaultLine.Demo;

/// <summary>`dotnet run --project Samples/FaultLine.Demo`: the postcopy story, on the console. See <see cref="PostcopyDemo"/>.</summary>
public static class Program
{
    public static int Main() => PostcopyDemo.Run(Console.Out);
}
