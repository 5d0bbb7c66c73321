// Smallest C++ program for a bare-metal board: static constructors, floating point, the
// standard library and semihosting output all work.
#include <cmath>
#include <cstdio>
#include <vector>
struct Registered { int v; Registered() : v(42) {} };
static Registered registered;
int main() {
  std::vector<float> xs = {1.f, 2.f, 3.f};
  float s = 0; for (float x : xs) s += std::sqrt(x);
  std::printf("smoke: ctor %d sum %.4f\n", registered.v, s);
  return registered.v == 42 ? 0 : 1;
}
