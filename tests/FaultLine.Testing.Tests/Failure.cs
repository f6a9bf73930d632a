using System;
using System.Threading.Tasks;
using Xunit;

namespace FaultLine.Testing.Tests;

/// <summary>Runs a test that must fail and returns the failure message, so the caller can check it says what went wrong.</summary>
internal static class Failure
{
    public static async Task<string> MessageOf(Func<Task> test)
    {
        var exception = await Assert.ThrowsAsync<InvalidOperationException>(test);
        return exception.Message;
    }
}
