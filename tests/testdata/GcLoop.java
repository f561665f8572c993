// Workload for javagc's test: prints "ready PID", then on every line read from stdin fills
// some memory, calls System.gc() and prints "done".
import java.io.BufferedReader;
import java.io.InputStreamReader;

public class GcLoop {
    static Object[] keep;

    public static void main(String[] args) throws Exception {
        System.out.println("ready " + ProcessHandle.current().pid());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        while (in.readLine() != null) {
            keep = new Object[1 << 16];
            for (int i = 0; i < keep.length; i++) {
                keep[i] = new byte[64];
            }
            System.gc();
            System.out.println("done");
        }
    }
}
